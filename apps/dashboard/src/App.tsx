/** First screen; the full dashboard replaces it (issue 5/6). */
export function App() {
  return (
    <main>
      <h1>SiliconFlow Proxy</h1>
      <p>硅基流动 API 密钥池网关 · SiliconFlow API key pool gateway</p>
    </main>
  )
}
