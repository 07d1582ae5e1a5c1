import * as os from "node:os";
import * as path from "node:path";

/** The settings folder: `~/.dandi_s3_log_parser`, or `DANDI_S3_LOG_PARSER_HOME` when set. */
export function settingsFolder(): string {
  const fromEnvironment = process.env.DANDI_S3_LOG_PARSER_HOME;
  if (fromEnvironment !== undefined && fromEnvironment !== "") return path.resolve(fromEnvironment);
  return path.join(os.homedir(), ".dandi_s3_log_parser");
}

export function errorsFolder(): string {
  return path.join(settingsFolder(), "errors");
}
