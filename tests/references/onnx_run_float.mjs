// Runs an ONNX file in onnxruntime (npm onnxruntime-node) on one float32 tensor, for the fruits
// tests: an independent runtime for whole networks, float or quantized (QDQ).
//
//   node onnx_run_float.mjs MODEL.onnx INPUT.f32 D0,D1,...,Dk OUT.f32 [--no-optimization]
//
// INPUT.f32: raw little-endian float32 values (no header), fed as the model's single input with
// the dimensions given (any rank). One intra-op thread. Writes the model's FIRST output as raw
// little-endian float32 to OUT.f32 and prints {"name", "dims"} of that output as JSON.
// --no-optimization: no graph optimization, so a QDQ file runs node by node as ONNX defines it
// (DequantizeLinear, the float operator, QuantizeLinear), not on onnxruntime's fused int8
// kernels (whose x86 AVX2 path multiplies in saturating 16-bit pairs).
import { readFileSync, writeFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

const [model, inputPath, dimsText, outputPath, option] = process.argv.slice(2);
if (!outputPath) {
  throw new Error('usage: node onnx_run_float.mjs MODEL.onnx INPUT.f32 D0,D1,... OUT.f32');
}
const dims = dimsText.split(',').map(Number);
const bytes = readFileSync(inputPath);
const expected = dims.reduce((a, b) => a * b, 1) * 4;
if (bytes.length !== expected) {
  throw new Error(`${inputPath} holds ${bytes.length} bytes, not ${expected} for [${dims}]`);
}
// A copy: the file's Buffer may not start on a 4-byte boundary of its ArrayBuffer.
const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: 1,
  ...(option === '--no-optimization' ? { graphOptimizationLevel: 'disabled' } : {}),
});
if (session.inputNames.length !== 1) {
  throw new Error(`${model} takes ${session.inputNames.length} inputs, not one`);
}
const results = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', data, dims) });
const name = session.outputNames[0];
const output = results[name];
if (output.type !== 'float32') throw new Error(`output '${name}' is ${output.type}, not float32`);
writeFileSync(outputPath, Buffer.from(output.data.buffer, output.data.byteOffset,
                                      output.data.byteLength));
console.log(JSON.stringify({ name, dims: output.dims }));
