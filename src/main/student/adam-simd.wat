;; One Adam update of n float32 parameters with 128-bit SIMD, in place (PyTorch's torch.optim.Adam,
;; no weight decay, no amsgrad; float32 arithmetic, each operation rounded as PyTorch rounds it):
;;   m ← β1·m + c1·g,  v ← β2·v + c2·g·g,  p ← p − step·m / (√v · inv + ε)
;; with c1 = 1 − β1, c2 = 1 − β2, step = lr / (1 − β1ᵗ), inv = 1 / √(1 − β2ᵗ).
;; The scalar loop spent ~10 cycles an element in its square root and division; four lanes at a
;; time it runs at memory speed (adam.ts feeds it L2-sized chunks).
;;
;; Build: `npm run build:wasm` turns this file into adam-simd.wasm.ts; a test checks the bytes.
(module
  (memory (export "memory") 1)

  ;; n (a multiple of 4) values each at byte addresses p, g, m, v.
  (func (export "adam")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (param $beta1 f32) (param $c1 f32) (param $beta2 f32) (param $c2 f32)
    (param $step f32) (param $inv f32) (param $eps f32)
    (local $i i32) (local $end i32) (local $gi v128) (local $mi v128) (local $vi v128)
    (local $b1 v128) (local $k1 v128) (local $b2 v128) (local $k2 v128) (local $s v128) (local $r v128) (local $e v128)
    (local.set $b1 (f32x4.splat (local.get $beta1)))
    (local.set $k1 (f32x4.splat (local.get $c1)))
    (local.set $b2 (f32x4.splat (local.get $beta2)))
    (local.set $k2 (f32x4.splat (local.get $c2)))
    (local.set $s (f32x4.splat (local.get $step)))
    (local.set $r (f32x4.splat (local.get $inv)))
    (local.set $e (f32x4.splat (local.get $eps)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $gi (v128.load (i32.add (local.get $g) (local.get $i))))
        (local.set $mi
          (f32x4.add
            (f32x4.mul (local.get $b1) (v128.load (i32.add (local.get $m) (local.get $i))))
            (f32x4.mul (local.get $k1) (local.get $gi))))
        (local.set $vi
          (f32x4.add
            (f32x4.mul (local.get $b2) (v128.load (i32.add (local.get $v) (local.get $i))))
            (f32x4.mul (f32x4.mul (local.get $k2) (local.get $gi)) (local.get $gi))))
        (v128.store (i32.add (local.get $m) (local.get $i)) (local.get $mi))
        (v128.store (i32.add (local.get $v) (local.get $i)) (local.get $vi))
        (v128.store (i32.add (local.get $p) (local.get $i))
          (f32x4.sub
            (v128.load (i32.add (local.get $p) (local.get $i)))
            (f32x4.div
              (f32x4.mul (local.get $s) (local.get $mi))
              (f32x4.add (f32x4.mul (f32x4.sqrt (local.get $vi)) (local.get $r)) (local.get $e)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next))))
)
