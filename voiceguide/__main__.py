from voiceguide.cli import main

main()
