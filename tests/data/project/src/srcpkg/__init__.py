from srcpkg.blocks import STEP as STEP
