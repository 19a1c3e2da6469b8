// Entry point of dist/bench.js, the benchmark bundle (undici + our client) that the extension and the CLI load on first
// use; it names what that bundle offers.
export { runBenchmark } from './runBenchmark';
export { vllmPrintout, sglangPrintout, resultJson, resultFileText, defaultResultFilename } from './report';
export { parseNativePrintout, runNativeBenchmark } from './nativeBench';
export { timingsMs } from './trace';
