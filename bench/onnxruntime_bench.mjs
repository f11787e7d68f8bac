// ONNX models in onnxruntime (npm onnxruntime-node, installed with the test references), the
// engine most users would pick instead of ours. Two modes:
//
//   node bench/onnxruntime_bench.mjs MODEL.onnx PIXELS N HEIGHT WIDTH [BATCH] [REPEAT] [THREADS]
//   node bench/onnxruntime_bench.mjs --float MODEL.onnx SHAPE REPEAT THREADS
//
// An exported app model, for bench/app_bench.sh (the same images and measures as
// app_engine_bench): throughput, the N uint8 images of PIXELS in batches of BATCH, REPEAT times;
// latency, each image alone. Prints {"images", "batch", "threads", "images_per_second",
// "single_image_ms_median"}.
//
// --float, a CNN's float32 input of SHAPE (e.g. 32,3,224,224; the first dimension is the batch),
// for bench/families_bench.sh: synthetic values in [-1, 1], a warm-up run, then REPEAT runs
// timed one by one. Prints {"shape", "threads", "run_ms" (each run), "images_per_second" (at the
// median run)}.
//
// Both use one session with THREADS intra-op threads, all graph optimisations.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/references/package.json', import.meta.url));
const ort = require('onnxruntime-node');

function openSession(model, threads) {
  return ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
  });
}

function seconds(since) {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function appModel(args) {
  const [model, pixelsPath, nText, hText, wText, batchText = '32', repeatText = '3',
    threadsText = '2'] = args;
  const [n, h, w, batch, repeat, threads] =
    [nText, hText, wText, batchText, repeatText, threadsText].map(Number);
  const bytes = readFileSync(pixelsPath);
  const size = h * w * 3;
  if (bytes.length !== n * size) throw new Error(`${pixelsPath}: ${bytes.length} bytes`);

  const session = await openSession(model, threads);
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
  const throughputSeconds = seconds(start);

  const latencies = [];
  for (let i = 0; i < Math.min(n, 64); ++i) {
    const one = new ort.Tensor('uint8', new Uint8Array(bytes.buffer, bytes.byteOffset + i * size,
      size), [1, h, w, 3]);
    start = process.hrtime.bigint();
    await session.run({ [input]: one });
    latencies.push(seconds(start) * 1e3);
  }
  return {
    images: n, batch, threads, images_per_second: (n * repeat) / throughputSeconds,
    single_image_ms_median: median(latencies),
  };
}

async function floatModel(args) {
  const [model, shapeText, repeatText, threadsText] = args;
  const shape = shapeText.split(',').map(Number);
  const [repeat, threads] = [repeatText, threadsText].map(Number);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let state = 1;  // a fixed 32-bit linear congruential sequence: the same input every time
  for (let i = 0; i < values.length; ++i) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = (state / 2 ** 32) * 2 - 1;
  }
  const session = await openSession(model, threads);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', values, shape) };
  await session.run(feeds);  // warm-up
  const runMs = [];
  for (let r = 0; r < repeat; ++r) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    runMs.push(seconds(start) * 1e3);
  }
  return { shape, threads, run_ms: runMs, images_per_second: shape[0] / (median(runMs) / 1e3) };
}

const args = process.argv.slice(2);
const result = args[0] === '--float' ? await floatModel(args.slice(1)) : await appModel(args);
console.log(JSON.stringify(result));
