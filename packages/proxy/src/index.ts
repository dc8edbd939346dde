/** The undici streaming proxy plugin (issue 4/6). */
export {}
