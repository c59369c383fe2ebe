"""Generators that turn a request into ``scene`` objects (LDM3D through diffusers, procedural).

torch and diffusers are imported inside the backends that need them, never at package import.
"""
