/** One UI text in both languages; a missing translation is a type error. */
export interface Message {
  zh: string
  en: string
}
