import { expect, it } from 'vitest'
import { SETTING } from '../../src/settings-store.js'
import { describeStorage } from './dialects.js'

describeStorage('settings storage', ({ open }) => {
  it('sets, overwrites, reads and deletes values, as text or JSON', async () => {
    const { settings } = await open()
    expect(await settings.get(SETTING.adminPasswordHash)).toBeUndefined()
    await settings.set(SETTING.adminPasswordHash, 'hash-1', 1000)
    await settings.set(SETTING.adminPasswordHash, 'hash-2')
    await settings.setJson(SETTING.switchGuard, { lastUsedKeyId: 2, at: [1, null] }, 2000)

    expect(await settings.get(SETTING.adminPasswordHash)).toBe('hash-2')
    expect(await settings.getJson(SETTING.switchGuard)).toEqual({ lastUsedKeyId: 2, at: [1, null] })
    expect(await settings.get(SETTING.switchGuard)).toBe('{"lastUsedKeyId":2,"at":[1,null]}')

    await settings.delete(SETTING.adminPasswordHash)
    await settings.delete(SETTING.currentKeyId)
    expect(await settings.get(SETTING.adminPasswordHash)).toBeUndefined()
    expect(await settings.getJson(SETTING.adminPasswordHash)).toBeUndefined()
  })

  it('rejects reading as JSON a value that is not', async () => {
    const { settings } = await open()
    await settings.set(SETTING.currentKeyId, 'not json {')
    await expect(settings.getJson(SETTING.currentKeyId)).rejects.toThrow(SyntaxError)
  })
})
