#!/usr/bin/env node
import { configureBinCommand } from "./commands/bin.js";
import { newProgram } from "./program.js";

// The original tool's command name and flags, for existing cron jobs and scripts.
void configureBinCommand(newProgram("bin_all_reduced_s3_logs_by_object_key")).parseAsync();
