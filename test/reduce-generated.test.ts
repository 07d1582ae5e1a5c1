import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DAMAGE_KINDS } from "../src/generate/log-lines.ts";
import { generateRawLogs, reduceAllDandiRawS3Logs } from "../src/index.ts";
import { readTree, tempFolder } from "./helpers.ts";

/**
 * The generator knows what each line is (a real download, a filtered line, a damaged one) and
 * writes the reduced days a correct reducer must produce; the reducer must match it exactly.
 */
async function reduceAndCompare(options: Parameters<typeof generateRawLogs>[1], workers = 1) {
  const raw = tempFolder("raw");
  const expected = tempFolder("expected");
  const output = tempFolder("reduced");
  const generated = generateRawLogs(raw, { ...options, expectedReducedFolder: expected });
  const summary = await reduceAllDandiRawS3Logs({ rawFolder: raw, reducedFolder: output, workers });
  assert.deepEqual(readTree(output), readTree(expected));
  assert.deepEqual(summary.counts, generated.counts);
  const filtered = Object.values(summary.counts.filtered).reduce((a, b) => a + b, 0);
  const malformed = Object.values(summary.counts.malformed).reduce((a, b) => a + b, 0);
  assert.equal(
    summary.counts.lines,
    summary.counts.kept + filtered + malformed,
    "every line is accounted for",
  );
  return { summary, generated };
}

describe("reduce on generated logs", () => {
  test("clean logs as AWS writes them: output identical to the expected tables", async () => {
    const { summary } = await reduceAndCompare({ seed: 11, days: 3, bytesPerDay: 600_000 });
    assert.equal(
      Object.values(summary.counts.malformed).reduce((a, b) => a + b, 0),
      0,
    );
    assert.ok(summary.counts.kept > 1000);
  });

  test("every damaged kind at once, reduced by two workers", async () => {
    const { summary } = await reduceAndCompare(
      { seed: 12, days: 4, bytesPerDay: 400_000, damageRate: 0.2 },
      2,
    );
    assert.ok(summary.counts.malformed.truncated > 0);
    assert.ok(summary.counts.filtered.blank > 0);
    assert.ok(summary.counts.filtered.not_asset_key > 0);
  });

  for (const kind of DAMAGE_KINDS) {
    test(`damage: ${kind}`, async () => {
      const { summary, generated } = await reduceAndCompare({
        seed: 100 + DAMAGE_KINDS.indexOf(kind),
        bytesPerDay: kind === "long_uri" ? 3_000_000 : 150_000,
        damageRate: 0.3,
        damageKinds: [kind],
      });
      assert.ok(generated.counts.lines > 50);
      assert.equal(summary.failures.length, 0);
    });
  }
});
