import { InputValidationError } from "../errors.ts";

/** The largest page a listing returns. */
export const maxPageSize = 1000;

/** One page of a listing; `nextCursor` fetches the next one, null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The page size asked for, refused unless it is an integer from 1 to maxPageSize. */
export function checkPageSize(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize) throw new InputValidationError({ message: `The page size must be an integer from 1 to ${maxPageSize}; got ${limit}.`, limit });
  return limit;
}
