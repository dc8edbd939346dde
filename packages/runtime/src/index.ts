export * from './clock.js'
export * from './write-behind.js'
