// Greedy continuation of a prompt of token ids in llama.cpp, printed like
// `gridbench model generate`, so the two can be compared on the same file:
//
//   node greedy.mjs MODEL.gguf 17,4242,999 12
//   gridbench model generate MODEL.gguf --tokens 17,4242,999 --count 12
//
// llama.cpp keeps its KV cache in F16 and rounds activations for F16 weights,
// so the two may part at a near tie (see the gaps gridbench prints).
import {getLlama} from "node-llama-cpp";

const [modelPath, promptIds, count = "16"] = process.argv.slice(2);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath});
const context = await model.createContext({contextSize: 1024, batchSize: 512});
const sequence = context.getSequence();
const out = [];
for await (const token of sequence.evaluate(promptIds.split(",").map(Number), {temperature: 0})) {
  out.push(token);
  if (out.length >= Number(count)) break;
}
console.log(out.join(","));
process.exit(0);
