/** A problem of a document refused by `modmq cluster import-from-sqlite` (machine-readable). */
export interface ImportProblem {
  /** The file's revision the problem is in. */
  revision: number;
  /** The id of the module the pointer is in, when it points into one. */
  module?: string;
  /** RFC 6901 pointer into that revision's document. */
  pointer: string;
  keyword: string;
  message: string;
}

/** The import was refused or failed; when it says so, nothing was written. */
export class ImportError extends Error {
  constructor(
    message: string,
    readonly problems: ImportProblem[] = [],
  ) {
    super(message);
    this.name = 'ImportError';
  }
}
