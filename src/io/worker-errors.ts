import { AbortedError, RunError, UsageError } from "../errors.js";

/** An error as it crosses from a worker thread to the main thread: its class, message and code. */
export interface ErrorMessage {
  name: string;
  message: string;
  code?: string;
  optionNames?: readonly string[];
}

export function errorToMessage(error: unknown): ErrorMessage {
  const e = error as Partial<RunError>;
  return {
    name: typeof e.name === "string" ? e.name : "Error",
    message: typeof e.message === "string" ? e.message : String(error),
    code: typeof e.code === "string" ? e.code : undefined,
    optionNames: Array.isArray(e.optionNames) ? e.optionNames : undefined,
  };
}

/**
 * The error a worker thread failed with, as the library's class it was (so its exit code and `code`
 * stay what they would be on the main thread); anything else becomes a `RunError` naming the step.
 */
export function errorFromMessage(message: ErrorMessage, step: string): Error {
  const options = { code: message.code, optionNames: message.optionNames };
  if (message.name === "RunError") return new RunError(message.message, options);
  if (message.name === "UsageError") return new UsageError(message.message, options);
  if (message.name === "AbortedError") return new AbortedError(message.message, options);
  return new RunError(`a ${step} worker failed: ${message.message}`);
}
