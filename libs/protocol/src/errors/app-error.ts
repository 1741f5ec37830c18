import { type ErrorCode, errorCatalogue, type Language } from "./catalogue.js";
import { errorKinds } from "./kinds.js";

/** One problem with one input field, as sent to clients. */
export interface FieldIssue {
  /** Dotted path of the field, e.g. `body.phone`. */
  field: string;
  message: string;
}

/** The wire shape of every error the platform sends, over HTTP and over sockets. */
export interface ErrorBody {
  error: {
    code: number;
    key: ErrorCode;
    message: string;
    issues?: FieldIssue[];
    requestId?: string;
    retryAfterSeconds?: number;
  };
}

export interface AppErrorOptions {
  issues?: FieldIssue[];
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** An error the platform means to report: it carries a catalogue key and is never a crash. */
export class AppError extends Error {
  readonly key: ErrorCode;
  readonly issues: FieldIssue[] | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(key: ErrorCode, options: AppErrorOptions = {}) {
    super(errorCatalogue[key].messages.en, { cause: options.cause });
    this.name = "AppError";
    this.key = key;
    this.issues = options.issues;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get httpStatus(): number {
    return httpStatusOf(this.key);
  }
}

export function httpStatusOf(key: ErrorCode): number {
  return errorKinds[errorCatalogue[key].kind].httpStatus;
}

export function socketCategoryOf(key: ErrorCode): string {
  return errorKinds[errorCatalogue[key].kind].socketCategory;
}

/** Builds the wire body of an error in the caller's language. */
export function errorBody(error: AppError, language: Language, requestId?: string): ErrorBody {
  const definition = errorCatalogue[error.key];
  return {
    error: {
      code: definition.code,
      key: error.key,
      message: definition.messages[language],
      ...(error.issues ? { issues: error.issues } : {}),
      ...(requestId ? { requestId } : {}),
      ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
    },
  };
}
