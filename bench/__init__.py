"""`python -m bench`: the bot's performance against its targets, on loopback fakes.

It starts the three fakes (Telegram, Workers AI, GitHub) with injected latency, runs the real bot
process (`python -m bot`) against them and reports own overhead, API economy, concurrency, memory
and start-up as a Markdown table (stdout) and JSON (`bench/results.json`). See bench/RESULTS.md.
"""
