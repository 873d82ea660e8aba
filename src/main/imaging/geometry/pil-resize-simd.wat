;; Pillow's two resize passes for 8-bit RGB with 128-bit SIMD, writing normalised float32 planes:
;; the encoder input of SAM-family teachers without a scalar loop over its three million values.
;; Integer arithmetic is Pillow's (22-bit fixed-point weights, int32 sums from a half unit, top bits
;; kept, clamped to 0..255), so every byte equals pil-resize.ts's scalar passes; the normalisation is
;; float32 (v - mean) / std, as SAM's PyTorch preprocessing computes it.
;;
;; Build: `npm run build:wasm` (wabt) turns this file into pil-resize-simd.wasm.ts; a test checks the
;; committed bytes are this source's.
;;
;; Every address and size is the caller's (pil-resize-simd.ts lays out the memory); reads may run up
;; to 16 bytes past a buffer's end, so the caller leaves that much room after each.
(module
  (memory (export "memory") 1)

  ;; Horizontal pass: `rows` rows of `srcStride` bytes (RGB) at `src` → three planes of rows of
  ;; `stride` bytes at `dst`, `dst + plane`, `dst + 2·plane`, `width` pixels per row (a multiple of
  ;; 4 ≤ stride; the caller pads the tap tables with weight-0 taps). For output x, tap j reads the
  ;; pixel at byte offset off[x·span + j] of its row with weight coef[x·span + j] (int32 arrays).
  (func (export "horizontal")
    (param $src i32) (param $srcStride i32) (param $rows i32)
    (param $dst i32) (param $width i32) (param $stride i32) (param $plane i32)
    (param $off i32) (param $coef i32) (param $span i32)
    (local $y i32) (local $x i32) (local $row i32) (local $out i32) (local $q i32) (local $t i32) (local $end i32)
    (local $step i32) (local $step2 i32) (local $step3 i32)
    (local $v v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $step (i32.shl (local.get $span) (i32.const 2)))
    (local.set $step2 (i32.shl (local.get $step) (i32.const 1)))
    (local.set $step3 (i32.add (local.get $step2) (local.get $step)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $rows)))
        (local.set $row (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $srcStride))))
        (local.set $out (i32.add (local.get $dst) (i32.mul (local.get $y) (local.get $stride))))
        (local.set $x (i32.const 0))
        (local.set $q (i32.const 0))
        (block $pixelsDone
          (loop $pixelLoop
            (br_if $pixelsDone (i32.ge_u (local.get $x) (local.get $width)))
            ;; four output pixels, their taps side by side (pixel p's tap j at byte q + p·step + 4j
            ;; of the tables); R, G, B and the byte after (weighted, never stored) as int32 lanes
            (local.set $a0 (i32x4.splat (i32.const 2097152)))
            (local.set $a1 (local.get $a0))
            (local.set $a2 (local.get $a0))
            (local.set $a3 (local.get $a0))
            (local.set $t (local.get $q))
            (local.set $end (i32.add (local.get $q) (local.get $step)))
            (loop $tapLoop
              (local.set $a0 (i32x4.add (local.get $a0)
                (i32x4.mul
                  (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                    (v128.load32_zero (i32.add (local.get $row) (i32.load (i32.add (local.get $off) (local.get $t)))))))
                  (v128.load32_splat (i32.add (local.get $coef) (local.get $t))))))
              (local.set $a1 (i32x4.add (local.get $a1)
                (i32x4.mul
                  (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                    (v128.load32_zero (i32.add (local.get $row) (i32.load (i32.add (local.get $off) (i32.add (local.get $t) (local.get $step))))))))
                  (v128.load32_splat (i32.add (local.get $coef) (i32.add (local.get $t) (local.get $step)))))))
              (local.set $a2 (i32x4.add (local.get $a2)
                (i32x4.mul
                  (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                    (v128.load32_zero (i32.add (local.get $row) (i32.load (i32.add (local.get $off) (i32.add (local.get $t) (local.get $step2))))))))
                  (v128.load32_splat (i32.add (local.get $coef) (i32.add (local.get $t) (local.get $step2)))))))
              (local.set $a3 (i32x4.add (local.get $a3)
                (i32x4.mul
                  (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u
                    (v128.load32_zero (i32.add (local.get $row) (i32.load (i32.add (local.get $off) (i32.add (local.get $t) (local.get $step3))))))))
                  (v128.load32_splat (i32.add (local.get $coef) (i32.add (local.get $t) (local.get $step3)))))))
              (local.set $t (i32.add (local.get $t) (i32.const 4)))
              (br_if $tapLoop (i32.lt_u (local.get $t) (local.get $end))))
            ;; >> 22 and saturating narrows (Pillow's clip8): R0 G0 B0 X0 R1 … X3 as bytes
            (local.set $v
              (i8x16.narrow_i16x8_u
                (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a0) (i32.const 22)) (i32x4.shr_s (local.get $a1) (i32.const 22)))
                (i16x8.narrow_i32x4_s (i32x4.shr_s (local.get $a2) (i32.const 22)) (i32x4.shr_s (local.get $a3) (i32.const 22)))))
            (local.set $v (i8x16.swizzle (local.get $v) (v128.const i8x16 0 4 8 12 1 5 9 13 2 6 10 14 3 7 11 15)))
            (v128.store32_lane 0 (i32.add (local.get $out) (local.get $x)) (local.get $v))
            (v128.store32_lane 1 (i32.add (i32.add (local.get $out) (local.get $plane)) (local.get $x)) (local.get $v))
            (v128.store32_lane 2
              (i32.add (i32.add (local.get $out) (i32.shl (local.get $plane) (i32.const 1))) (local.get $x))
              (local.get $v))
            (local.set $q (i32.add (local.get $q) (i32.shl (local.get $step) (i32.const 2))))
            (local.set $x (i32.add (local.get $x) (i32.const 4)))
            (br $pixelLoop)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rowLoop))))

  ;; Vertical pass of one plane (rows of `stride` bytes), normalised: output row y (y < height) is
  ;; the sum over taps j of plane row index[y·span + j] × coef[y·span + j], rounded as Pillow does, then
  ;; (v - mean) / std as float32, written to `out + y·side·4` for x < width (16 at a time, so up to
  ;; width rounded up to 16; side ≥ that). Each sum is clip8-ed, then (v − mean) / std in float32. The rest of each `side`-wide row and rows from `height`
  ;; on are zeros: the padding.
  (func (export "verticalPlane")
    (param $plane i32) (param $width i32) (param $stride i32) (param $height i32)
    (param $index i32) (param $coef i32) (param $span i32)
    (param $out i32) (param $side i32) (param $mean f32) (param $std f32)
    (local $y i32) (local $x i32) (local $j i32) (local $q i32) (local $p i32) (local $o i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $k v128) (local $v v128) (local $lo v128) (local $hi v128)
    (local $m v128) (local $s v128) (local $rowBytes i32) (local $padFrom i32)
    (local.set $m (f32x4.splat (local.get $mean)))
    (local.set $s (f32x4.splat (local.get $std)))
    (local.set $rowBytes (i32.shl (local.get $side) (i32.const 2)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $height)))
        (local.set $o (i32.add (local.get $out) (i32.mul (local.get $y) (local.get $rowBytes))))
        (local.set $x (i32.const 0))
        (block $colsDone
          (loop $colLoop
            (br_if $colsDone (i32.ge_u (local.get $x) (local.get $width)))
            (local.set $a0 (i32x4.splat (i32.const 2097152)))
            (local.set $a1 (local.get $a0))
            (local.set $a2 (local.get $a0))
            (local.set $a3 (local.get $a0))
            (local.set $q (i32.shl (i32.mul (local.get $y) (local.get $span)) (i32.const 2)))
            (local.set $j (i32.const 0))
            (loop $tapLoop
              (local.set $p
                (i32.add (local.get $plane)
                  (i32.add (i32.mul (i32.load (i32.add (local.get $index) (local.get $q))) (local.get $stride)) (local.get $x))))
              (local.set $k (v128.load32_splat (i32.add (local.get $coef) (local.get $q))))
              (local.set $v (v128.load (local.get $p)))
              (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
              (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
              (local.set $a0 (i32x4.add (local.get $a0) (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $lo)) (local.get $k))))
              (local.set $a1 (i32x4.add (local.get $a1) (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $lo)) (local.get $k))))
              (local.set $a2 (i32x4.add (local.get $a2) (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $hi)) (local.get $k))))
              (local.set $a3 (i32x4.add (local.get $a3) (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $hi)) (local.get $k))))
              (local.set $q (i32.add (local.get $q) (i32.const 4)))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $tapLoop (i32.lt_u (local.get $j) (local.get $span))))
            (local.set $p (i32.add (local.get $o) (i32.shl (local.get $x) (i32.const 2))))
            (v128.store offset=0 (local.get $p)
              (f32x4.div
                (f32x4.sub
                  (f32x4.convert_i32x4_s
                    (i32x4.min_s (i32x4.max_s (i32x4.shr_s (local.get $a0) (i32.const 22)) (v128.const i32x4 0 0 0 0)) (v128.const i32x4 255 255 255 255)))
                  (local.get $m))
                (local.get $s)))
            (v128.store offset=16 (local.get $p)
              (f32x4.div
                (f32x4.sub
                  (f32x4.convert_i32x4_s
                    (i32x4.min_s (i32x4.max_s (i32x4.shr_s (local.get $a1) (i32.const 22)) (v128.const i32x4 0 0 0 0)) (v128.const i32x4 255 255 255 255)))
                  (local.get $m))
                (local.get $s)))
            (v128.store offset=32 (local.get $p)
              (f32x4.div
                (f32x4.sub
                  (f32x4.convert_i32x4_s
                    (i32x4.min_s (i32x4.max_s (i32x4.shr_s (local.get $a2) (i32.const 22)) (v128.const i32x4 0 0 0 0)) (v128.const i32x4 255 255 255 255)))
                  (local.get $m))
                (local.get $s)))
            (v128.store offset=48 (local.get $p)
              (f32x4.div
                (f32x4.sub
                  (f32x4.convert_i32x4_s
                    (i32x4.min_s (i32x4.max_s (i32x4.shr_s (local.get $a3) (i32.const 22)) (v128.const i32x4 0 0 0 0)) (v128.const i32x4 255 255 255 255)))
                  (local.get $m))
                (local.get $s)))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (br $colLoop)))
        ;; zeros right of the image (over the 16-wide tail too)
        (local.set $padFrom (i32.add (local.get $o) (i32.shl (local.get $width) (i32.const 2))))
        (memory.fill (local.get $padFrom) (i32.const 0)
          (i32.sub (i32.add (local.get $o) (local.get $rowBytes)) (local.get $padFrom)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $rowLoop)))
    ;; zeros below the image
    (local.set $o (i32.add (local.get $out) (i32.mul (local.get $height) (local.get $rowBytes))))
    (memory.fill (local.get $o) (i32.const 0)
      (i32.sub (i32.add (local.get $out) (i32.mul (local.get $side) (local.get $rowBytes))) (local.get $o))))
)
