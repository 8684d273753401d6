"""The flow language: YAML source -> validated pydantic model -> compiled flow graph."""
