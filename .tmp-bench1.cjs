const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');
const path = require('path');
wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist/');
(async () => {
await tf.setBackend('wasm');
function time(name, f, flops) { let best=1e9; for (let i=0;i<3;i++){ const t=performance.now(); const y=f(); y.dataSync(); const dt=performance.now()-t; y.dispose(); best=Math.min(best,dt);} console.log(name, best.toFixed(1),'ms', (flops/(best*1e6)).toFixed(1),'GFLOPS'); }
const B=8,H=32,C=128;
const x = tf.randomNormal([B,H,H,C]); const w = tf.randomNormal([3,3,C,C]); const dy=tf.randomNormal([B,H,H,C]);
const fl = 2*B*H*H*C*C*9;
time('conv fwd', ()=>tf.conv2d(x,w,1,'same'), fl);
time('conv bwd input', ()=>tf.conv2dTranspose(dy,w,[B,H,H,C],1,'same'), fl);
const xs = x.reshape([B*H*H, C]); const dys = dy.reshape([B*H*H,C]);
time('matmul tA (per tap)', ()=>tf.matMul(xs,dys,true,false), 2*B*H*H*C*C);
time('matmul plain', ()=>tf.matMul(xs,w.reshape([9*C,C]).slice([0,0],[C,C])), 2*B*H*H*C*C);
const xt = tf.transpose(xs);
time('transpose', ()=>tf.transpose(xs), 1);
time('matmul Atrans-explicit', ()=>tf.matMul(xt,dys), 2*B*H*H*C*C);
time('moments', ()=>tf.moments(x,[0,1,2]).variance, 1);
time('sum axis0 of 2d', ()=>tf.sum(xs,0), 1);
time('maxpool', ()=>tf.maxPool(x,3,2,1,'floor'), 1);
time('relu', ()=>tf.relu(x), 1);
time('mul', ()=>tf.mul(x,x), 1);
process.exit(0);
})();
