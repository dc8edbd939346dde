import { downloadFile } from '../../components/download-file.js'

/** Saves text as a UTF-8 file. */
export function downloadText(fileName: string, text: string): void {
  downloadFile(fileName, new Blob([text], { type: 'text/plain;charset=utf-8' }))
}

/** `siliconflow-keys-20250514-1302.txt`, in local time. */
export function exportFileName(now = new Date()): string {
  const pad = (value: number) => String(value).padStart(2, '0')
  const date = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`
  return `siliconflow-keys-${date}-${pad(now.getHours())}${pad(now.getMinutes())}.txt`
}
