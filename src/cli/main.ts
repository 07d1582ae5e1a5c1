#!/usr/bin/env node
import { configureBinCommand } from "./commands/bin.js";
import { configureCatalogCommand } from "./commands/catalog.js";
import { configureDemoCommand } from "./commands/demo.js";
import { configureGenerateCommand } from "./commands/generate.js";
import { configureMapCommand } from "./commands/map.js";
import { configureReduceCommand } from "./commands/reduce.js";
import { configureReportCommand } from "./commands/report.js";
import { configureRunCommand } from "./commands/run.js";
import { newProgram } from "./program.js";

// Command modules load their step's code only when the command runs, so starting is quick for all.
const program = newProgram("dandi-s3-log-parser").description(
  "Turn the raw S3 access logs of the DANDI Archive into small, public, privacy-safe usage tables and reports.\n" +
    "The steps, in order: reduce, bin, map, report; run does all four for a daily job; demo shows them on samples.",
);
configureReduceCommand(program.command("reduce"));
configureBinCommand(program.command("bin"));
configureMapCommand(program.command("map"));
configureCatalogCommand(program.command("catalog"));
configureReportCommand(program.command("report"));
configureRunCommand(program.command("run"));
configureDemoCommand(program.command("demo"));
configureGenerateCommand(program.command("generate"));

await program.parseAsync();
