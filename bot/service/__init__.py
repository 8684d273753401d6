"""The conversation service: lock, load, step, save, render, reply — over ports."""
