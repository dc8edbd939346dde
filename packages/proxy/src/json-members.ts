/**
 * Where the members of a JSON object are in its bytes, so one value can be replaced or one member
 * added while every other byte stays as the client wrote it (a re-serialisation would round a
 * `seed` beyond 2^53 and turn `1e400` into null). The input has been parsed already, so it is
 * valid JSON: the scanner trusts its structure and only tracks strings and nesting.
 */
export interface JsonMember {
  /** The member's name, decoded (escapes such as `\u005f` read as JSON.parse reads them). */
  name: string
  /** Offsets of its value: `bytes.subarray(valueStart, valueEnd)` is the value as written. */
  valueStart: number
  valueEnd: number
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const COMMA = 0x2c
const COLON = 0x3a

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d
}

function skipSpace(bytes: Buffer, at: number): number {
  let i = at
  while (isSpace(bytes[i])) i += 1
  return i
}

/** Offset just past the string starting at `at` (its opening quote). */
function skipString(bytes: Buffer, at: number): number {
  let i = at + 1
  while (i < bytes.length) {
    const byte = bytes[i]
    if (byte === BACKSLASH) i += 2
    else if (byte === QUOTE) return i + 1
    else i += 1
  }
  return i
}

/** Offset just past the value starting at `at`. */
function skipValue(bytes: Buffer, at: number): number {
  const first = bytes[at]
  if (first === QUOTE) return skipString(bytes, at)
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let i = at
    while (i < bytes.length) {
      const byte = bytes[i]
      if (byte === COMMA || byte === CLOSE_BRACE || byte === CLOSE_BRACKET || isSpace(byte)) break
      i += 1
    }
    return i
  }
  let depth = 0
  let i = at
  while (i < bytes.length) {
    const byte = bytes[i]
    if (byte === QUOTE) {
      i = skipString(bytes, i)
      continue
    }
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth += 1
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth -= 1
      if (depth === 0) return i + 1
    }
    i += 1
  }
  return i
}

/** The members of the object whose `{` is at `open`, in the order written (duplicates kept). */
export function objectMembers(bytes: Buffer, open: number): JsonMember[] {
  const members: JsonMember[] = []
  let i = skipSpace(bytes, open + 1)
  while (i < bytes.length && bytes[i] !== CLOSE_BRACE) {
    const nameEnd = skipString(bytes, i)
    const name = JSON.parse(bytes.toString('utf8', i, nameEnd)) as string
    i = skipSpace(bytes, nameEnd)
    if (bytes[i] === COLON) i = skipSpace(bytes, i + 1)
    const valueStart = i
    const valueEnd = skipValue(bytes, i)
    members.push({ name, valueStart, valueEnd })
    i = skipSpace(bytes, valueEnd)
    if (bytes[i] === COMMA) i = skipSpace(bytes, i + 1)
  }
  return members
}

/** Offset of the first `{` of a document whose top level is an object. */
export function documentObjectStart(bytes: Buffer): number {
  return skipSpace(bytes, 0)
}

/** The member JSON.parse would keep for `name`: the last one written. */
export function lastMember(members: readonly JsonMember[], name: string): JsonMember | undefined {
  for (let i = members.length - 1; i >= 0; i -= 1) {
    if (members[i]?.name === name) return members[i]
  }
  return undefined
}
