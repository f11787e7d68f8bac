// An exported app model in onnxruntime (npm onnxruntime-node, installed with the test
// references), for bench/app_vs_onnxruntime.sh: the same images and measures as
// app_engine_bench.
//
//   node bench/onnxruntime_bench.mjs MODEL.onnx PIXELS N HEIGHT WIDTH [BATCH] [REPEAT] [THREADS]
//
// Throughput: the N images in batches of BATCH, one session with THREADS intra-op threads, REPEAT
// times; latency: each image alone. Prints {"images", "batch", "threads", "images_per_second",
// "single_image_ms_median"}.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/references/package.json', import.meta.url));
const ort = require('onnxruntime-node');

const [model, pixelsPath, nText, hText, wText, batchText = '32', repeatText = '3',
  threadsText = '2'] = process.argv.slice(2);
const [n, h, w, batch, repeat, threads] =
  [nText, hText, wText, batchText, repeatText, threadsText].map(Number);
const bytes = readFileSync(pixelsPath);
const size = h * w * 3;
if (bytes.length !== n * size) throw new Error(`${pixelsPath}: ${bytes.length} bytes`);

const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
});
const input = session.inputNames[0];
const batches = [];
for (let start = 0; start < n; start += batch) {
  const count = Math.min(batch, n - start);
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset + start * size, count * size);
  batches.push(new ort.Tensor('uint8', data, [count, h, w, 3]));
}
await session.run({ [input]: batches[0] });  // warm-up
let start = process.hrtime.bigint();
for (let r = 0; r < repeat; ++r) {
  for (const tensor of batches) await session.run({ [input]: tensor });
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;

const latencies = [];
for (let i = 0; i < Math.min(n, 64); ++i) {
  const one = new ort.Tensor('uint8', new Uint8Array(bytes.buffer, bytes.byteOffset + i * size,
    size), [1, h, w, 3]);
  start = process.hrtime.bigint();
  await session.run({ [input]: one });
  latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
}
latencies.sort((a, b) => a - b);
console.log(JSON.stringify({
  images: n, batch, threads, images_per_second: (n * repeat) / seconds,
  single_image_ms_median: latencies[Math.floor(latencies.length / 2)],
}));
