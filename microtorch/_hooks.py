"""The handle that register_hook and register_forward_hook return."""


class RemovableHandle:
    """handle.remove() takes the hook out again; removing twice is harmless."""

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)
