#!/usr/bin/env node
import { configureMapCommand } from "./commands/map.js";
import { newProgram } from "./program.js";

// The original tool's command name and flags, for existing cron jobs and scripts.
void configureMapCommand(newProgram("map_binned_s3_logs_to_dandisets")).parseAsync();
