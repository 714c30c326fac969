// Prompt processing speed of one GGUF file in llama.cpp (node-llama-cpp's
// prebuilt CPU library), to run back to back with bench_llama_inference on
// the same file, since this machine's speed drifts between runs:
//
//   node prompt_speed.mjs MODEL.gguf [PROMPT_TOKENS=512] [THREADS=2] [REPS=3]
//
// Each repetition evaluates a fresh context on seeded token ids up to the
// first generated token, llama-bench's pp. Generation speed is not measured:
// node-llama-cpp's sampling loop adds per-token overhead that llama-bench
// does not have.
import {getLlama} from "node-llama-cpp";

const [modelPath, pp = "512", threads = "2", reps = "3"] = process.argv.slice(2);
const promptTokens = Number(pp);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath});
const vocabulary = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
for (let rep = 0; rep < Number(reps); ++rep) {
  const context = await model.createContext(
      {contextSize: promptTokens + 8, threads: Number(threads), batchSize: promptTokens});
  const sequence = context.getSequence();
  let seed = 7 + rep;
  const prompt = [];
  for (let i = 0; i < promptTokens; ++i) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    prompt.push(seed % vocabulary);
  }
  const start = performance.now();
  for await (const _ of sequence.evaluate(prompt, {temperature: 0})) break;
  const seconds = (performance.now() - start) / 1000;
  console.log(`rep ${rep}: pp${promptTokens} ${(promptTokens / seconds).toFixed(1)} t/s`);
  await context.dispose();
}
process.exit(0);
