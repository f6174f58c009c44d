print("joold")
