export * from './clock.js'
export * from './fenced-row-write.js'
export * from './instance-id.js'
export * from './write-behind.js'
