#!/usr/bin/env node
/**
 * Patches @temporalio/worker after `npm install` / `npm ci` (package.json "postinstall"), so every install
 * (a clone, CI, the Docker image) runs the workflow thread as the bench measured it (docs/benchmarks.md,
 * "The workflow thread"). Three edits, all in the workflow thread's plumbing, none in how workflows behave:
 *
 * 1. reusable-vm.js: the SDK enters the workflow context several times per activation, each time with
 *    `vm.runInContext(..., { timeout })`, and Node starts and joins a watchdog thread for every such call
 *    (`npm run bench:vm-call`: about 63 µs per call against 0.9 µs without). The calls run without it.
 * 2. threaded-vm.js: the deadlock guard that timeout gave moves to the main thread: one timer per workflow
 *    thread, which terminates the thread when it has answered nothing for `isolateExecutionTimeout` (5 s)
 *    while requests wait. The SDK then fails the worker (the process exits and its supervisor restarts it)
 *    instead of failing the one workflow task; the workflow's history is untouched either way.
 * 3. vm-shared.js: no promise hook capturing a stack trace for every promise workflow code creates (it only
 *    serves the `__stack_trace` query, the Web UI's "Stack Trace" tab, which then says stack traces are not
 *    enabled; `conversationState` names the step a conversation is at).
 *
 * Each edit replaces one exact piece of the SDK's text, so a different SDK version fails the install here,
 * loudly, rather than running half-patched. Idempotent: a patched file is left as it is.
 * `node scripts/patch-temporal-sdk.cjs --check` only reports (exit 1 when a file is not patched).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const MARK = '/* medical-assistant patch */';
const EXPECTED_VERSION = '1.24.0';

const EDITS = [
  {
    file: 'lib/workflow/reusable-vm.js',
    from: `                    return callIntoVmScript.runInContext(context, {
                        timeout: isolateExecutionTimeoutMs,
                        displayErrors: true,
                    });`,
    to: `                    ${MARK} // no per-call watchdog thread: threaded-vm.js guards the whole thread
                    return callIntoVmScript.runInContext(context, {
                        displayErrors: true,
                    });`,
  },
  {
    file: 'lib/workflow/threaded-vm.js',
    from: `            completion.resolve(result.output);
        });`,
    to: `            completion.resolve(result.output);
        });
        ${MARK} // every answer of the thread is progress (startProgressGuard)
        workerThread.on('message', () => {
            this.lastProgressAt = Date.now();
        });`,
  },
  {
    file: 'lib/workflow/threaded-vm.js',
    from: `        return new Promise((resolve, reject) => {
            this.requestIdToCompletion.set(requestId, { resolve, reject });
        });
    }`,
    to: `        return new Promise((resolve, reject) => {
            ${MARK} // an idle thread starts its silence now, not when it last answered
            if (this.requestIdToCompletion.size === 0) this.lastProgressAt = Date.now();
            this.requestIdToCompletion.set(requestId, { resolve, reject });
        });
    }
    ${MARK}
    /** Terminates the thread when it answered nothing for timeoutMs while requests waited (deadlock guard). */
    startProgressGuard(timeoutMs) {
        this.lastProgressAt = Date.now();
        const timer = setInterval(() => {
            if (this.workerExited) {
                clearInterval(timer);
                return;
            }
            if (this.requestIdToCompletion.size === 0 || this.shutDownRequested) return;
            const silentMs = Date.now() - this.lastProgressAt;
            if (silentMs < timeoutMs) return;
            clearInterval(timer);
            const message = \`Potential deadlock detected: the workflow thread answered nothing for \${silentMs} ms with \${this.requestIdToCompletion.size} requests waiting; terminating it\`;
            this.logger.error(message);
            this.exitError = new errors_1.UnexpectedError(message);
            void this.workerThread.terminate();
        }, Math.max(100, Math.min(1000, Math.floor(timeoutMs / 5))));
        timer.unref();
    }`,
  },
  {
    file: 'lib/workflow/threaded-vm.js',
    from: `            hasPatchActivationCallback: patchActivationCallback !== undefined,
        })));
        return new this(workerThreadClients);`,
    to: `            hasPatchActivationCallback: patchActivationCallback !== undefined,
        })));
        ${MARK} // after init: loading the bundle is not an activation
        for (const client of workerThreadClients) client.startProgressGuard(isolateExecutionTimeoutMs);
        return new this(workerThreadClients);`,
  },
  {
    file: 'lib/workflow/vm-shared.js',
    from: `            this.overridePrepareStackTrace();
            this.setPromiseHook();`,
    to: `            this.overridePrepareStackTrace();
            ${MARK} // no promise hook: a stack trace per promise only served the __stack_trace query`,
  },
];

function packageDir() {
  return path.dirname(require.resolve('@temporalio/worker/package.json', { paths: [path.resolve(__dirname, '..')] }));
}

function main() {
  const check = process.argv.includes('--check');
  let dir;
  try {
    dir = packageDir();
  } catch {
    // Nothing to patch (an install without @temporalio/worker, e.g. `npm ci --omit=...` of another package).
    console.log('patch-temporal-sdk: @temporalio/worker is not installed; nothing to patch');
    return;
  }
  const version = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  const texts = new Map();
  const read = (file) => {
    if (!texts.has(file)) texts.set(file, fs.readFileSync(path.join(dir, file), 'utf8'));
    return texts.get(file);
  };
  const missing = [];
  let applied = 0;
  for (const edit of EDITS) {
    const text = read(edit.file);
    if (text.includes(edit.to)) continue;
    if (check) {
      missing.push(edit.file);
      continue;
    }
    if (version !== EXPECTED_VERSION || text.split(edit.from).length !== 2) {
      console.error(
        `patch-temporal-sdk: @temporalio/worker ${version} does not have the text this script patches in ${edit.file} ` +
          `(written for ${EXPECTED_VERSION}); update scripts/patch-temporal-sdk.cjs with the SDK`,
      );
      process.exit(1);
    }
    texts.set(edit.file, text.replace(edit.from, edit.to));
    applied++;
  }
  if (check) {
    if (missing.length > 0) {
      console.error(
        `patch-temporal-sdk: not patched: ${[...new Set(missing)].join(', ')} (run npm ci, or node ${path.relative(process.cwd(), __filename)})`,
      );
      process.exit(1);
    }
    console.log(`patch-temporal-sdk: @temporalio/worker ${version} is patched`);
    return;
  }
  for (const [file, text] of texts) fs.writeFileSync(path.join(dir, file), text);
  console.log(
    applied > 0
      ? `patch-temporal-sdk: patched @temporalio/worker ${version} (${applied} edits)`
      : `patch-temporal-sdk: @temporalio/worker ${version} was already patched`,
  );
}

main();
