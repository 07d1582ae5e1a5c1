/**
 * One run contending for a lock, for test/run-lock.test.ts: `lock-contender.ts <lock> <slow> <dir>`.
 * `slow` (`linkSync:2`, or `none`) names a file-system call on the lock's folder, and which call of
 * it, to hold up the way a slow disk would: it waits until another contender has finished taking
 * the lock (a file `held-*` or `failed-*` in `dir`), so the race the hold-up opens is always run.
 * Prints `held` (then holds the lock until stdin closes) or `locked: <why>`.
 */
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import * as path from "node:path";

const [lockPath, slow, dir] = process.argv.slice(2);
const folder = path.dirname(lockPath);

if (slow !== "none") {
  const [name, nth] = slow.split(":");
  const patched = fs as unknown as Record<string, (...args: unknown[]) => unknown>;
  const original = patched[name];
  let calls = 0;
  patched[name] = (...args: unknown[]) => {
    if (typeof args[0] === "string" && path.dirname(args[0]) === folder && ++calls === Number(nth)) {
      fs.writeFileSync(path.join(dir, `waiting-${process.pid}`), "");
      const until = Date.now() + 20_000;
      const sleeper = new Int32Array(new SharedArrayBuffer(4));
      while (!fs.readdirSync(dir).some((f) => /^(held|failed)-/.test(f)) && Date.now() < until)
        Atomics.wait(sleeper, 0, 0, 5);
    }
    return original(...args);
  };
  syncBuiltinESMExports();
}

const { acquireRunLock } = await import("../../src/io/run-lock.ts");
try {
  const release = acquireRunLock(lockPath);
  fs.writeFileSync(path.join(dir, `held-${process.pid}`), "");
  process.stdout.write("held\n");
  process.stdin.resume();
  process.stdin.on("end", () => release());
} catch (error) {
  fs.writeFileSync(path.join(dir, `failed-${process.pid}`), "");
  process.stdout.write(`locked: ${(error as Error).message}\n`);
  process.stdin.destroy();
}
