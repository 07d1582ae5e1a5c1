import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { best, CACHE, cli, mb, ratio, type Timing, tempFolder, timeCommand } from "./common.ts";

/**
 * The daily run at archive scale: 30 busy days of history (about 1 M downloads over 3,100 objects
 * and 100 Dandisets of a catalog snapshot), then day 31, busy like them or quiet (a few hundred
 * downloads). Side by side, in one run on the same files: the first run; the daily run after the
 * history; the same day alone in an empty work folder; a full map against a full bin of the same
 * rows; and a rerun with nothing new.
 */
const DAYS = 31;
/** Day 31 again, quiet: the same seed and objects, a small day. */
const QUIET = ["--days", "1", "--start_date", "2024-01-31", "--bytes_per_day", "450000"];
const GENERATE = [
  "--days",
  String(DAYS),
  "--bytes_per_day",
  "36000000",
  "--blobs",
  "3000",
  "--zarrs",
  "100",
  "--dandisets",
  "100",
  "--seed",
  "31",
];

function line(label: string, timing: Timing): string {
  const memory = timing.peakBytes === null ? "" : `, peak ${mb(timing.peakBytes)}`;
  return `${label.padEnd(58)} ${timing.seconds.toFixed(2).padStart(7)} s${memory}`;
}

/** The generated days, made once and kept under bench-output/ (same seed, same bytes); the rebuild bench reads them too. */
export function inputs(): { raw: string; quiet: string; catalog: string; days: string[] } {
  const folder = path.join(CACHE, "archive");
  const raw = path.join(folder, "raw");
  const quiet = path.join(folder, "quiet");
  const catalog = path.join(folder, "catalog.json");
  const stamp = path.join(folder, "made-with.json");
  const wanted = JSON.stringify([GENERATE, QUIET]);
  if (!fs.existsSync(stamp) || fs.readFileSync(stamp, "utf8") !== wanted) {
    fs.rmSync(folder, { recursive: true, force: true });
    console.log(`generating ${DAYS} days under ${folder} (once)…`);
    execFileSync(process.execPath, [
      cli("main"),
      "generate",
      "--output_folder",
      raw,
      "--catalog_output",
      catalog,
      ...GENERATE,
    ]);
    const seed = GENERATE.slice(GENERATE.indexOf("--seed"));
    const pool = GENERATE.slice(GENERATE.indexOf("--blobs"), GENERATE.indexOf("--dandisets"));
    execFileSync(process.execPath, [
      cli("main"),
      "generate",
      "--output_folder",
      quiet,
      ...QUIET,
      ...pool,
      ...seed,
    ]);
    fs.writeFileSync(stamp, wanted);
  }
  const days = fs
    .readdirSync(raw, { recursive: true })
    .map(String)
    .filter((name) => name.endsWith(".log"))
    .sort();
  return { raw, quiet, catalog, days };
}

/** A raw folder holding `days` of `raw`, as hard links (no copy of the bytes). */
function rawWith(raw: string, days: string[], folder: string): string {
  for (const day of days) {
    fs.mkdirSync(path.dirname(path.join(folder, day)), { recursive: true });
    fs.linkSync(path.join(raw, day), path.join(folder, day));
  }
  return folder;
}

export async function run(): Promise<void> {
  const { raw, quiet, catalog, days } = inputs();
  const root = tempFolder("archive");
  const env = { DANDI_S3_LOG_PARSER_HOME: path.join(root, "home") };
  const main = cli("main");
  const runArgs = (rawFolder: string, work: string) => [
    main,
    "run",
    "--raw_s3_logs_folder_path",
    rawFolder,
    "--work_folder",
    work,
    "--catalog",
    catalog,
    "--quiet",
  ];
  try {
    const history = rawWith(raw, days.slice(0, DAYS - 1), path.join(root, "raw-30"));
    const all = rawWith(raw, days, path.join(root, "raw-31"));
    const lastDay = rawWith(raw, days.slice(-1), path.join(root, "raw-day-31"));
    const quietHistory = rawWith(raw, days.slice(0, DAYS - 1), path.join(root, "raw-30-quiet"));
    rawWith(quiet, days.slice(-1), quietHistory);
    const quietDay = rawWith(quiet, days.slice(-1), path.join(root, "raw-quiet-31"));
    const work = path.join(root, "work");

    const first = await timeCommand(process.execPath, runArgs(history, work), { env });
    const rows = execFileSync("sh", ["-c", `cat ${path.join(work, "reduced")}/*/*/*.tsv | wc -l`])
      .toString()
      .trim();
    console.log(`${DAYS - 1} days of history: ${Number(rows) - (DAYS - 1)} reduced rows`);
    console.log(line("first run, 30 days (reduce, bin, map, report)", first));

    // Each repetition starts from a copy of the work folder after the history (hard links kept).
    let copies = 0;
    const daily = await best(2, async () => {
      const copy = path.join(root, `daily-${copies++}`);
      execFileSync("cp", ["-a", work, copy]);
      return timeCommand(process.execPath, runArgs(all, copy), { env });
    });
    const alone = await best(2, async () =>
      timeCommand(process.execPath, runArgs(lastDay, path.join(root, `alone-${copies++}`)), { env }),
    );
    console.log(line("daily run: busy day 31 after the 30 days", daily));
    console.log(line("the same day alone in an empty work folder", alone));
    console.log(`  daily run / day alone: ${ratio(daily.seconds / alone.seconds)}`);
    const quietDaily = await best(2, async () => {
      const copy = path.join(root, `daily-${copies++}`);
      execFileSync("cp", ["-a", work, copy]);
      return timeCommand(process.execPath, runArgs(quietHistory, copy), { env });
    });
    const quietAlone = await best(2, async () =>
      timeCommand(process.execPath, runArgs(quietDay, path.join(root, `alone-${copies++}`)), { env }),
    );
    const quietRows = execFileSync("sh", [
      "-c",
      `tail -n +2 ${path.join(root, `alone-${copies - 1}`, "reduced")}/*/*/*.tsv | wc -l`,
    ])
      .toString()
      .trim();
    console.log(line(`daily run: quiet day 31 (${quietRows} downloads) after the 30 days`, quietDaily));
    console.log(line("the same quiet day alone in an empty work folder", quietAlone));
    console.log(
      `  daily run / day alone: ${ratio(quietDaily.seconds / quietAlone.seconds)} (target at most 1.25x: ${quietDaily.seconds <= 1.25 * quietAlone.seconds ? "met" : "MISSED"})`,
    );
    // What no run can go below: Node's start and the bundle's loading, by the same command.
    const version = await best(3, () => timeCommand(process.execPath, [main, "--version"], { env }));
    console.log(line("a bare start of the CLI (--version)", version));
    console.log(
      `  quiet day alone / --version: ${ratio(quietAlone.seconds / version.seconds)} (target at most 10x: ${quietAlone.seconds <= 10 * version.seconds ? "met" : "MISSED"})`,
    );

    const reduced = path.join(root, "daily-0", "reduced");
    let n = 0;
    const fullBin = await best(2, () =>
      timeCommand(
        process.execPath,
        [
          main,
          "bin",
          "--reduced_s3_logs_folder_path",
          reduced,
          "--binned_s3_logs_folder_path",
          path.join(root, `bin-${n++}`),
          "--quiet",
        ],
        { env },
      ),
    );
    // Without and with the summaries in turns, so that the machine's mood weighs on both alike.
    let m = 0;
    const fullMapArgs = (summaries: boolean) => {
      const out = path.join(root, `map-${m++}`);
      return [
        main,
        "map",
        "--binned_s3_logs_folder_path",
        path.join(root, "bin-0"),
        "--mapped_s3_logs_folder_path",
        out,
        ...(summaries ? ["--summaries_folder_path", `${out}-summaries`] : []),
        "--catalog",
        catalog,
        "--quiet",
      ];
    };
    const maps: Timing[][] = [[], []];
    for (let turn = 0; turn < 3; turn++)
      for (const summaries of [false, true])
        maps[Number(summaries)].push(await timeCommand(process.execPath, fullMapArgs(summaries), { env }));
    const fastest = (timings: Timing[]) => timings.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const fullMap = fastest(maps[0]);
    const fullMapWithSummaries = fastest(maps[1]);
    console.log(line("full bin of the 31 days into an empty folder", fullBin));
    console.log(line("full map of the same rows into an empty folder", fullMap));
    console.log(line("the same full map, publishing the summaries too", fullMapWithSummaries));
    console.log(
      `  with summaries / without: ${ratio(fullMapWithSummaries.seconds / fullMap.seconds)} (target at most 1.25x: ${fullMapWithSummaries.seconds <= 1.25 * fullMap.seconds ? "met" : "MISSED"})`,
    );
    console.log(
      `  full map / full bin: ${ratio(fullMap.seconds / fullBin.seconds)} (target at most 2x: ${fullMap.seconds <= 2 * fullBin.seconds ? "met" : "MISSED"}); ` +
        `map's peak memory ${fullMap.peakBytes === null ? "unknown" : mb(fullMap.peakBytes)} (target under 500 MB)`,
    );

    const said = path.join(root, "rerun.txt");
    const rerunArgs = [
      main,
      "map",
      "--binned_s3_logs_folder_path",
      path.join(root, "daily-0", "binned"),
      "--mapped_s3_logs_folder_path",
      path.join(root, "daily-0", "mapped"),
      "--catalog",
      catalog,
      "--quiet",
    ];
    const rerun = await best(3, () => timeCommand(process.execPath, rerunArgs, { env, stdout: said }));
    console.log(line("map again with nothing new", rerun));
    const readNothing = fs.readFileSync(said, "utf8").includes("no new rows to read");
    console.log(
      `  target under 1 s: ${rerun.seconds < 1 ? "met" : "MISSED"}; says it read no rows: ${readNothing ? "yes" : "NO"}`,
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
