#!/usr/bin/env node
import type { Command } from "commander";
import { newProgram } from "./program.js";

type Configure = (command: Command) => Command;

/**
 * Each command's module is loaded only when that command runs (all of them for the overview), and
 * each loads its step's code only in its action: start-up stays close to Node's own, which matters
 * for a step that finishes in a third of a second.
 */
const COMMANDS: Record<string, () => Promise<Configure>> = {
  reduce: async () => (await import("./commands/reduce.js")).configureReduceCommand,
  bin: async () => (await import("./commands/bin.js")).configureBinCommand,
  map: async () => (await import("./commands/map.js")).configureMapCommand,
  catalog: async () => (await import("./commands/catalog.js")).configureCatalogCommand,
  report: async () => (await import("./commands/report.js")).configureReportCommand,
  rekey: async () => (await import("./commands/rekey.js")).configureRekeyCommand,
  run: async () => (await import("./commands/run.js")).configureRunCommand,
  demo: async () => (await import("./commands/demo.js")).configureDemoCommand,
  generate: async () => (await import("./commands/generate.js")).configureGenerateCommand,
  "update-ip-ranges": async () =>
    (await import("./commands/update-ip-ranges.js")).configureUpdateIpRangesCommand,
};

const program = newProgram("dandi-s3-log-parser").description(
  "Turn the raw S3 access logs of the DANDI Archive into small, public, privacy-safe usage tables and reports.\n" +
    "The steps, in order: reduce, bin, map, report; run does all four for a daily job; demo shows them on samples.",
);
async function main(): Promise<void> {
  const asked = process.argv[2];
  const names = asked !== undefined && Object.hasOwn(COMMANDS, asked) ? [asked] : Object.keys(COMMANDS);
  for (const name of names) (await COMMANDS[name]())(program.command(name));
  await program.parseAsync();
}

void main();
