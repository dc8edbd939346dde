// Global styles first: tokens and shared pieces, then the phone overrides. Features import their own.
import './styles/base.css'
import './styles/controls.css'
import './styles/surfaces.css'
import './styles/tables.css'
import './styles/top-bar.css'
import './styles/phone.css'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './app/App.js'
import { applyThemePreference, loadThemePreference } from './theme/theme-preference.js'

// Before the first render, so a pinned theme does not flash (no inline scripts under the CSP).
applyThemePreference(loadThemePreference())

const root = document.getElementById('root')
if (!root) throw new Error('#root is missing from index.html')
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
