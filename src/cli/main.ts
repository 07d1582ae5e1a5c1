#!/usr/bin/env node
import { configureReduceCommand } from "./commands/reduce.js";
import { newProgram } from "./program.js";

const program = newProgram("dandi-s3-log-parser").description(
  "Turn the raw S3 access logs of the DANDI Archive into small, public, privacy-safe usage tables and reports.",
);
configureReduceCommand(program.command("reduce"));
// (bin) command goes here
// (map) commands go here
// (report) commands go here

await program.parseAsync();
