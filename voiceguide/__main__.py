from voiceguide.launch import main

main()
