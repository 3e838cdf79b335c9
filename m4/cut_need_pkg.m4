# CUT_NEED_PKG(VAR, MODULE, DEBIAN-PACKAGE)
# Like PKG_CHECK_MODULES, but records a missing module in $missing (with the
# Debian package to install) instead of stopping at the first one.
AC_DEFUN([CUT_NEED_PKG], [
  PKG_CHECK_MODULES([$1], [$2], [],
    [missing="$missing
  $2: apt-get install $3"])
])
