"""The reader's limits: every image and every request is bounded before the networks run, so
that no input can take a server down. The README's table of limits is this module."""

# One image file.
MAX_IMAGE_BYTES = 10 * 1024 * 1024
# Larger images are reduced to this longest side right after decoding: enough for a sheet
# of paper found in a photo to be rectified at its own resolution...
PHOTO_SIZE = 2048
# Pixels as decoded: 4096 x 4096 (16.8 MP). A JPEG decodes reduced, to under twice
# PHOTO_SIZE a side, so every JPEG fits (a 50 MP phone photo); a lossless file (PNG, BMP,
# GIF, WebP) decodes whole, and decoding is most of what reading it costs: at 40 MP a
# PNG's first read cost over 1 s of CPU, at this limit under (benchmarks/README.md, issue
# #43). A 300 dpi scan of an A4 page is 8.7 MP.
MAX_IMAGE_PIXELS = (2 * PHOTO_SIZE) ** 2
# ...and to this one once no sheet is found: plenty for digits.
WORKING_SIZE = 640
# More would be a page of text or a pattern, not lines of digits; it bounds the work.
MAX_DIGITS_PER_IMAGE = 200
# Marks found (pieces) in one image: a digit is one, at times two (a stroke broken across),
# so that a page of MAX_DIGITS_PER_IMAGE digits with some broken is within the limit.
MAX_PIECES_PER_IMAGE = 300

# One request (a call of ``Reader.read``).
MAX_ITEMS = 10_000
MAX_REQUEST_IMAGES = 1_000  # image files
MAX_REQUEST_PIXELS = 100_000_000  # decoded image pixels: ~2.5 s of decoding in all
MAX_REQUEST_DIGITS = 10_000  # marks of ink in all: a digit is about one
# The CNN reads at most this many digits per call: bounded memory, and the fastest split.
CNN_BATCH = 1_000

# Reads at once, each on a thread of the reader's own: each may hold an image decoded,
# and memory that a thread freed stays with it (glibc's arenas), so a few threads of our
# own, not a server's many, bound the memory. More requests wait their turn, up to
# MAX_WAITING and for at most MAX_WAIT_SECONDS each; beyond, the reader is busy.
MAX_CONCURRENT_READS = 2
MAX_WAITING = 14
MAX_WAIT_SECONDS = 20
