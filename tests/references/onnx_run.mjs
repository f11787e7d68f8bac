// Runs an ONNX file in onnxruntime (npm onnxruntime-node, the engine of onnxruntime-mobile,
// -react-native and -web) on raw images, for the fruits tests: an independent runtime.
//
//   node onnx_run.mjs MODEL.onnx PIXELS N HEIGHT WIDTH uint8|float32
//
// PIXELS: N images, HEIGHT x WIDTH x 3 bytes each (RGB rows, no header), fed as the model's one
// input [N, HEIGHT, WIDTH, 3] of the given element type (float32: the byte values as floats).
// Prints one JSON object: {"inputs": [names], "outputs": {name: {"type", "dims", "data"}}}.
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

const [model, pixelsPath, n, height, width, type] = process.argv.slice(2);
const dims = [Number(n), Number(height), Number(width), 3];
const bytes = readFileSync(pixelsPath);
const expected = dims.reduce((a, b) => a * b, 1);
if (bytes.length !== expected) {
  throw new Error(`${pixelsPath} holds ${bytes.length} bytes, not ${expected}`);
}
const data = type === 'float32' ? Float32Array.from(bytes) : new Uint8Array(bytes);
const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
const feeds = { [session.inputNames[0]]: new ort.Tensor(type, data, dims) };
const results = await session.run(feeds);
const outputs = {};
for (const name of session.outputNames) {
  const tensor = results[name];
  const values = Array.from(tensor.data, (v) => (typeof v === 'bigint' ? Number(v) : v));
  outputs[name] = { type: tensor.type, dims: tensor.dims, data: values };
}
console.log(JSON.stringify({ inputs: session.inputNames, outputs }));
