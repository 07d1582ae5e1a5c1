import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { ROOT, readTree, runArgs, runCli, tempFolder } from "./helpers.ts";

const KEY = "a-key-for-the-tests-Z3n8#Qv2!pLw";
const SAMPLES = path.join(ROOT, "samples");

/**
 * rekey rewrites the rows reduce and bin wrote, and nothing else; and no published folder (mapped
 * tables, summaries, report) may lie inside a reduced or binned folder, where it would be taken for
 * rows: a summaries folder put inside reduced/ had every bytes_sent turned into an IP token.
 */
describe("rekey touches only its own files", () => {
  const work = path.join(tempFolder("rekey-own"), "work");
  const run = runCli("main", [
    ...runArgs(path.join(SAMPLES, "raw"), work),
    "--catalog",
    path.join(SAMPLES, "catalog.json"),
    "--no-report",
    "--quiet",
    "--no-ip_key_warning",
  ]);
  assert.equal(run.code, 0, run.stderr);

  test("tables that are not reduce's or bin's are left as they were", () => {
    const foreign: Record<string, string> = {
      "reduced/summaries/summaries/000001/by_day.tsv": "date\tbytes_sent\n2024-03-01\t25987063410\n",
      "reduced/notes.tsv": "a\t1.2.3.4\tb\n",
      "reduced/2024/notes.tsv": "a\t1.2.3.4\tb\n",
      "binned/blobs/extra.tsv": "a\tb\t1.2.3.4\n",
      "binned/elsewhere/rows.tsv": "a\tb\t1.2.3.4\n",
    };
    for (const [file, text] of Object.entries(foreign)) {
      fs.mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
      fs.writeFileSync(path.join(work, file), text);
    }
    const dataBefore = readTree(path.join(work, "binned"));
    const rekey = runCli("main", ["rekey", "--work_folder", work, "--quiet"], {
      DANDI_S3_LOG_PARSER_IP_KEY: KEY,
    });
    assert.equal(rekey.code, 0, rekey.stderr);
    for (const [file, text] of Object.entries(foreign))
      assert.equal(fs.readFileSync(path.join(work, file), "utf8"), text, `${file} is not rekey's`);
    // The binned rows themselves were rewritten.
    const changed = [...readTree(path.join(work, "binned"))].filter(
      ([file, text]) =>
        file.startsWith("blobs/") && file.split("/").length === 4 && dataBefore.get(file) !== text,
    );
    assert.ok(changed.length > 0, "the object files hold tokens now");
  });

  test("a link that is not among rekey's files does not stop it, and nothing is read through it", () => {
    const outside = tempFolder("rekey-outside");
    fs.writeFileSync(path.join(outside, "kept.tsv"), "x\t1.2.3.4\n");
    fs.symlinkSync(outside, path.join(work, "reduced", "a-link"));
    const rekey = runCli("main", ["rekey", "--work_folder", work, "--quiet"], {
      DANDI_S3_LOG_PARSER_OLD_IP_KEY: KEY,
      DANDI_S3_LOG_PARSER_IP_KEY: `${KEY}-changed`,
    });
    assert.equal(rekey.code, 0, rekey.stderr);
    assert.equal(fs.readFileSync(path.join(outside, "kept.tsv"), "utf8"), "x\t1.2.3.4\n");
    fs.rmSync(path.join(work, "reduced", "a-link"));
  });

  test("map, report and run refuse to publish inside reduced/ or binned/", () => {
    const refused = (args: string[], flag: string, inside: string) => {
      const result = runCli("main", args, { DANDI_S3_LOG_PARSER_IP_KEY: `${KEY}-changed` });
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(
          `^error: ${flag} .* lies inside the ${inside} folder .*: reduce, bin and rekey treat what is there as their own`,
        ),
      );
    };
    const map = [
      "map",
      "--binned_s3_logs_folder_path",
      path.join(work, "binned"),
      "--catalog",
      path.join(SAMPLES, "catalog.json"),
      "--quiet",
    ];
    refused(
      [
        ...map,
        "--mapped_s3_logs_folder_path",
        path.join(work, "mapped"),
        "--summaries_folder_path",
        path.join(work, "reduced", "published"),
      ],
      "--summaries_folder_path",
      "reduced",
    );
    refused(
      [...map, "--mapped_s3_logs_folder_path", path.join(work, "reduced", "mapped")],
      "--mapped_s3_logs_folder_path",
      "reduced",
    );
    refused(
      [
        "report",
        "--mapped_s3_logs_folder_path",
        path.join(work, "mapped"),
        "--output_folder",
        path.join(work, "binned", "zarr", "report"),
      ],
      "--output_folder",
      "binned",
    );
    refused(
      [...runArgs(path.join(SAMPLES, "raw"), path.join(work, "reduced", "work")), "--quiet"],
      "--work_folder",
      "reduced",
    );
    assert.ok(!fs.existsSync(path.join(work, "reduced", "published")));
    assert.ok(!fs.existsSync(path.join(work, "reduced", "mapped")));
  });
});
