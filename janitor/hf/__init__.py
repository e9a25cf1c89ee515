"""The Hugging Face hub cache: its layout (`layout`), scan (`scan`) and plans (`plan`).

A second cache kind beside uv's, on the same reverse-reference graph, plan items and engine.
"""
