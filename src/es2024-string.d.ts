// ES2024's well-formed string methods: Node 20 has them, but the ES2022 lib this project targets does
// not declare them (the ES2024 lib would pull in more than these two).
interface String {
  isWellFormed(): boolean
  toWellFormed(): string
}
