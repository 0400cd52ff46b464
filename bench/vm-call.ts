/**
 * `npm run bench:vm-call`: what one call into a `node:vm` context costs with and without a `timeout`.
 * The Temporal SDK enters the workflow context several times per workflow activation, always with a timeout
 * (`isolateExecutionTimeout`, 5 s by default: its guard against workflow code that never yields), and Node
 * starts a watchdog for every such call. This measures that price on this machine (docs/benchmarks.md).
 */
import vm from 'node:vm';

const CALLS = 20_000;

function perCallMicros(options: vm.RunningScriptOptions): number {
  const context = vm.createContext({});
  const script = new vm.Script('1 + 1');
  for (let i = 0; i < 1000; i += 1) script.runInContext(context, options); // warm up
  const started = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i += 1) script.runInContext(context, options);
  return Number(process.hrtime.bigint() - started) / CALLS / 1000;
}

const plain = perCallMicros({});
const guarded = perCallMicros({ timeout: 5000 });
console.log(`vm.Script.runInContext, ${CALLS} calls each (Node ${process.version}):`);
console.log(`  without a timeout      ${plain.toFixed(1)} µs per call`);
console.log(`  with timeout: 5000 ms  ${guarded.toFixed(1)} µs per call`);
