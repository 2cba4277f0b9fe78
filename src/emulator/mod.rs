//! A local stand-in for the parts of Google's Cloud Resource Manager API that jit uses (SPEC §6).
