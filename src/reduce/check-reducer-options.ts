import {
  checkBoolean,
  checkExcludedIps,
  checkExcludedYears,
  checkFunction,
  checkPath,
  checkString,
  checkWholeNumber,
  invalidOption,
} from "../check-options.js";
import { DEFAULT_OPERATION } from "../s3log/fields.js";
import { isOperation } from "../s3log/line-locator.js";
import type { LogReducerOptions } from "./log-reducer.js";
import type { ReduceFileOptions } from "./reduce-file.js";

/** A shorter limit would refuse ordinary lines (400 to 1000+ bytes). */
const MIN_MAX_LINE_BYTES = 1024;

/** The options of the reducer itself, shared by every way of reducing. */
export function checkReducerOptions(options: LogReducerOptions): void {
  const operation = options.operation;
  if (
    operation !== undefined &&
    (typeof operation !== "string" || !isOperation(Buffer.from(operation, "latin1"), 0, operation.length))
  ) {
    throw invalidOption(
      "operation",
      `must be an S3 operation such as ${DEFAULT_OPERATION}, not ${JSON.stringify(operation)}`,
    );
  }
  checkExcludedYears(listOf(options.excludedYears));
  checkExcludedIps(listOf(options.excludedIps));
  checkWholeNumber(options.maxLineBytes, "maxLineBytes", MIN_MAX_LINE_BYTES);
  checkWholeNumber(options.outputBufferBytes, "outputBufferBytes", 1);
  checkBoolean(options.header, "header");
  const key = options.ipKeyBytes;
  if (key != null && !(key instanceof Uint8Array && key.length === 32))
    throw invalidOption("ipKeyBytes", "must be the 32 bytes of an IpKey (`IpKey.bytes`)");
}

/** The reducer takes any iterable (a Set); anything else goes to the list check as it is, to be refused. */
function listOf(value: unknown): unknown {
  const iterable = typeof value === "object" && value !== null && Symbol.iterator in value;
  return iterable ? [...(value as Iterable<unknown>)] : value;
}

/** `reduceFile`'s arguments; a read buffer of 0 bytes would read nothing and write an empty day. */
export function checkReduceFileArguments(
  inputPath: unknown,
  outputPath: unknown,
  tempPath: unknown,
  options: ReduceFileOptions,
): void {
  checkPath(inputPath, "inputPath", true);
  checkPath(outputPath, "outputPath", true);
  checkPath(tempPath, "tempPath", true);
  checkReducerOptions(options);
  checkWholeNumber(options.readBufferBytes, "readBufferBytes", 1);
  if (
    options.readBuffer !== undefined &&
    (!Buffer.isBuffer(options.readBuffer) || options.readBuffer.length === 0)
  )
    throw invalidOption("readBuffer", "must be a Buffer of at least one byte");
  const range = options.range;
  if (
    range !== undefined &&
    (typeof range !== "object" ||
      range === null ||
      !Number.isInteger(range.start) ||
      range.start < 0 ||
      !(Number.isInteger(range.end) || range.end === Number.POSITIVE_INFINITY) ||
      range.end < range.start)
  )
    throw invalidOption("range", "must be { start, end }: whole byte offsets with 0 <= start <= end");
  checkBoolean(options.flushAsWritten, "flushAsWritten");
  checkFunction(options.onProgress, "onProgress");
  checkFunction(options.onMalformed, "onMalformed");
  checkString(options.displayName, "displayName");
}
