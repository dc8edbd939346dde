import type { RequestLogRow } from '@sfp/db'
import { type LogEntry, listLogsQuerySchema } from '@sfp/schemas'
import type { FastifyPluginAsync } from 'fastify'
import { parseInput } from '../../../validation.js'

export function logEntryView(row: RequestLogRow): LogEntry {
  const { time, ...rest } = row
  return { ...rest, time: new Date(time).toISOString() }
}

/** `GET /api/manage/logs`: newest first, cursor pagination, filters (docs/behaviour.md §6). */
const logsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/logs', async (request) => {
    const query = parseInput(listLogsQuerySchema, request.query, 'query')
    // Rows still queued in memory would be missing from the page: write them first.
    await app.requestLog.catchUp()
    const { items, nextCursor } = await app.database.requestLogs.list(query)
    return { items: items.map(logEntryView), nextCursor }
  })
}

export default logsRoutes
