"""Tests of the knowledge base, its loader and the shipped articles."""
