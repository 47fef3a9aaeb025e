"""Code that runs inside the sandbox. These files are bind-mounted read-only into the jail
as flat modules, so they import only the standard library, numpy, torch and each other."""
