# Grad mode: one flag per OS thread, shared by the tensor engine and the scalar engine.

cdef bint grad_enabled() noexcept nogil
cdef void set_grad_enabled_flag(bint mode) noexcept nogil
