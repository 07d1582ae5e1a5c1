#!/usr/bin/env node
import { configureReduceCommand } from "./commands/reduce.js";
import { newProgram } from "./program.js";

// The original tool's command name and flags, for existing cron jobs and scripts.
void configureReduceCommand(newProgram("reduce_all_dandi_raw_s3_logs")).parseAsync();
